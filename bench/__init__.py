"""Side-by-side benchmark of our OCR service against RapidOCR and Tesseract.

Every number in a report is measured in the same run on the same machine, with every system
given the same number of threads. ``python -m bench.run [--quick] [--only ...]`` writes
``bench/results/run-<utc>.json``, ``latest.json`` and ``latest.md``.
"""
