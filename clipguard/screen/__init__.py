"""On-screen text and QR codes: the second channel the rule engine reads.

Hosts put contact handles, QR codes and price claims on screen precisely because
speech is moderated. This package finds frames worth reading, reads them offline
(RapidOCR's PP-OCR models from its wheel, zxing-cpp for QR codes) and turns what stayed
on screen into timed text tracks; the pipeline scans them with the same rules as
speech.
"""
