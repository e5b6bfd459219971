"""coopzone: platform for the Hunan–Jiangxi Border Regional Cooperation Demonstration Zone."""

__version__ = "0.1.0"
