"""Tests on a real 3-node MariaDB Galera cluster (galera.py starts it; marker `cluster`)."""
