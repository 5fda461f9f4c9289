"""The action server's unit of work, built once when the server loads the actions (``DATABASE_URL``)."""

from parcels.storage.unit_of_work import SqlUnitOfWork

UNIT_OF_WORK = SqlUnitOfWork()
