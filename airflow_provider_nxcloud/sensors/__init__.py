"""Sensors: wait for what a send started (delivery reports), without sending anything."""
