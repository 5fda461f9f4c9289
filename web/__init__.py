"""The aiohttp app: the customer's web chat page and the tracking ingestion API."""
