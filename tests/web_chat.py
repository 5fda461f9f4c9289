"""A web chat client for the tests: what the chat page does over Rasa's socket.io channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio


class WebChat:
    def __init__(self, client: socketio.AsyncClient) -> None:
        self.client = client
        self.confirmed: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        client.on("session_confirm", self.confirmed.put)
        client.on("bot_uttered", self.answers.put)

    async def session(self, request: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ask for a conversation (``{session_id, session_token}`` to continue one); what the channel confirms."""
        await self.client.emit("session_request", request or {})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, message: str, **extra: Any) -> dict[str, Any]:
        """Send a message (with any other fields a client might add) and wait for the first answer."""
        await self.client.emit("user_uttered", {"message": message, **extra})
        return await asyncio.wait_for(self.answers.get(), 30)


@asynccontextmanager
async def web_chat(rasa_url: str) -> AsyncIterator[WebChat]:
    client = socketio.AsyncClient()
    chat = WebChat(client)
    await client.connect(rasa_url, transports=["websocket"])
    try:
        yield chat
    finally:
        await client.disconnect()
