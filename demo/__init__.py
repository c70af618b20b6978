"""Demo data for `make run` and the browser tests: accounts, a handful of
proposals in each state, the public room's set (catalogue, statistics,
partners) and two groups of proposals (demo/seed.py, which `flask seed` runs), and the
year simulation (`flask deadlines simulate`, demo/simulation.py). It sits above the rooms
and drives their operations."""
