"""The domain core: stages, tracking numbers, promises, markets, storage and use cases."""
