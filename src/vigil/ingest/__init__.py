"""Sources of raw records: file readers (``readers``) and live pollers."""
