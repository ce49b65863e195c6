"""Example data built from the seeds, loaded through the real workflow (`loket example load`).

Each example is a builder that opens and works its cases with the same functions officers use,
at the dates the seed describes, so the reports reproduce the seed's published figures.
"""
