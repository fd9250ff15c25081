"""Pure pixel work: decoding, documents, alignment, cutting, encoding; nothing else of Zonecut."""
