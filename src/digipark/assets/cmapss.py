"""Reader of NASA's C-MAPSS turbofan run-to-failure data (Saxena et al., "Damage propagation modeling for aircraft
engine run-to-failure simulation", PHM 2008) in its published text format, for evaluating the RUL method on it when
the files are at hand (no package of the registries ships them; nothing is downloaded at run time):

- `train_FD00x.txt`, `test_FD00x.txt`: one cycle per line, 26 numbers separated by spaces — unit number, cycle,
  three operational settings, 21 sensor measurements; training units run to failure, test units stop earlier;
- `RUL_FD00x.txt`: the true remaining cycles of each test unit after its last cycle, one per line.

`sample` writes a small set in the same format from a documented degradation model (exponential wear of a health
index, as the C-MAPSS paper's damage propagation), so the reader is tested without the public files."""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path

SETTINGS = 3
SENSORS = 21
COLUMNS = 2 + SETTINGS + SENSORS


@dataclasses.dataclass(frozen=True)
class Unit:
    number: int
    cycles: list[int]
    settings: list[list[float]]
    sensors: list[list[float]]  # per cycle, 21 values

    def sensor(self, index: int) -> list[float]:
        """Sensor `index` (1..21, as the data set numbers them) over the unit's cycles."""
        return [row[index - 1] for row in self.sensors]


@dataclasses.dataclass(frozen=True)
class Subset:
    name: str
    train: list[Unit]
    test: list[Unit]
    test_rul: list[int]  # true remaining cycles after each test unit's last cycle


def read_units(path: Path) -> list[Unit]:
    """The units of a train_ or test_ file, in unit order; ValueError on a malformed line."""
    rows: dict[int, list[list[float]]] = {}
    for n, line in enumerate(path.read_text("ascii").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != COLUMNS:
            raise ValueError(f"{path.name}:{n}: {len(parts)} columns, expected {COLUMNS}")
        values = [float(p) for p in parts]
        rows.setdefault(int(values[0]), []).append(values)
    units = []
    for number in sorted(rows):
        ordered = sorted(rows[number], key=lambda r: r[1])
        cycles = [int(r[1]) for r in ordered]
        if cycles != list(range(1, len(cycles) + 1)):
            raise ValueError(f"{path.name}: unit {number} does not number its cycles 1..n")
        units.append(Unit(number, cycles, [r[2 : 2 + SETTINGS] for r in ordered], [r[2 + SETTINGS :] for r in ordered]))
    return units


def read_subset(folder: Path, name: str = "FD001") -> Subset:
    """One subset (FD001..FD004) of a folder holding the published files."""
    train = read_units(folder / f"train_{name}.txt")
    test = read_units(folder / f"test_{name}.txt")
    rul = [int(float(x)) for x in (folder / f"RUL_{name}.txt").read_text("ascii").split()]
    if len(rul) != len(test):
        raise ValueError(f"RUL_{name}.txt has {len(rul)} values for {len(test)} test units")
    return Subset(name, train, test, rul)


def _life(rng: random.Random) -> tuple[int, float]:
    """A unit's life in cycles and its wear rate: health 1 - exp(rate (t - life)) reaches 0 at `life`."""
    life = rng.randint(128, 362)  # FD001's training lives span 128..362 cycles
    return life, rng.uniform(0.02, 0.05)


def _cycle(rng: random.Random, t: int, life: int, rate: float) -> list[float]:
    wear = math.exp(rate * (t - life))  # 1 at failure
    settings = [round(rng.gauss(0, 0.002), 4), round(rng.gauss(0, 0.0003), 4), 100.0]
    base = [518.67, 642.0, 1590.0, 1400.0, 14.62, 21.61, 553.9, 2388.0, 9050.0, 1.3, 47.3, 521.7, 2388.0, 8138.0]
    base += [8.42, 0.03, 392.0, 2388.0, 100.0, 38.9, 23.3]
    trend = [0, 1.5, 15, 25, 0, 0, -2.5, 0.15, 10, 0, 0.9, -2.0, 0.15, 8, 0.1, 0, 3, 0, 0, -0.5, -0.3]
    return settings + [round(b + d * wear + rng.gauss(0, abs(b) * 2e-4), 4) for b, d in zip(base, trend, strict=True)]


def sample(folder: Path, *, name: str = "FD001", units: int = 5, seed: int = 0) -> None:
    """Write a small subset in the published format: `units` training units run to failure and as many test units
    cut at a random cycle, with their true RUL."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    train_lines, test_lines, rul = [], [], []
    for number in range(1, units + 1):
        life, rate = _life(rng)
        for t in range(1, life + 1):
            train_lines.append(" ".join(str(v) for v in [number, t, *_cycle(rng, t, life, rate)]))
    for number in range(1, units + 1):
        life, rate = _life(rng)
        cut = rng.randint(31, life - 1)
        for t in range(1, cut + 1):
            test_lines.append(" ".join(str(v) for v in [number, t, *_cycle(rng, t, life, rate)]))
        rul.append(life - cut)
    (folder / f"train_{name}.txt").write_text("\n".join(train_lines) + "\n", "ascii")
    (folder / f"test_{name}.txt").write_text("\n".join(test_lines) + "\n", "ascii")
    (folder / f"RUL_{name}.txt").write_text("\n".join(str(r) for r in rul) + "\n", "ascii")
