"""Orchestration only: the stages of one recording (each with one skip rule, see
``manifest``), the runs that chain them, and batch. Probing, decoding and
transcribing live below (``clipguard.media``, ``clipguard.asr``); every output path
comes from ``layout.RecordingLayout``."""
