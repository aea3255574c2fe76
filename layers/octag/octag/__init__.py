"""Octag: the shared library of every Lambda function (one layer). All domain logic lives here."""

__version__ = "0.1.0"
