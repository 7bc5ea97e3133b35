"""The web shell's record: the overview page (login, static files and error pages are installed by
`digipark.web.pages.install`)."""

from digipark.core.modules import HOME, MenuEntry, Module

MODULE = Module(
    name="web", title="Overview", menu=(MenuEntry("/", "Overview", "*", order=0, section=HOME),), catalog="messages"
)
