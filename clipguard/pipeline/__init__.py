"""Media in, files out: probing, decoding, transcription, per-recording runs and batch."""
