"""The park operations centre: the park map (MapLibre, the park's own geometry in 3D, live layers), the operations
screen (大屏) with its live figures, and China's coordinate systems."""
