"""Steward's inventory: stores observations, rolls them up into the information asset register."""
