"""Ecology domain: water quality files, evaluation commands, eco-compensation."""
