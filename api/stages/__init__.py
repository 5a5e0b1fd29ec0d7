"""Stages of the analysis pipeline: each turns store arrays into result columns."""
