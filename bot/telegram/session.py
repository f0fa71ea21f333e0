"""aiogram's aiohttp session, except that a redirect from the Bot API is never followed.

The token is part of every Bot API URL: following a redirect would carry it wherever the
``Location`` header points, and aiohttp's redirect errors quote that URL. A redirect means
BOT_API_URL or a proxy before it is set up wrongly; it is reported in one line without the
URL, and not retried.
"""

from __future__ import annotations

from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiohttp import ClientError, ClientResponseError

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class BotAPIRedirect(TelegramAPIError):
    """The Bot API server answered with a redirect, which was not followed."""

    label = "Bot API server redirects"


class NoRedirectSession(AiohttpSession):
    async def make_request(self, bot, method, timeout: int | None = None) -> Any:
        """aiogram's ``make_request`` with ``allow_redirects=False`` and URL-free errors."""
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        form = self.build_form_data(bot=bot, method=method)
        try:
            async with session.post(url, data=form, allow_redirects=False,
                                    timeout=self.timeout if timeout is None else timeout
                                    ) as resp:
                if resp.status in REDIRECTS:
                    raise BotAPIRedirect(method, f"HTTP {resp.status}, not followed: check "
                                         "BOT_API_URL and any proxy before the Bot API")
                raw_result = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientResponseError as exc:  # its text would quote the URL, token included
            raise TelegramNetworkError(method=method, message=f"{type(exc).__name__}: "
                                       f"{exc.status} {exc.message}") from None
        except ClientError as exc:
            raise TelegramNetworkError(method=method, message=f"{type(exc).__name__}: {exc}"
                                       ) from exc
        response = self.check_response(bot=bot, method=method, status_code=resp.status,
                                       content=raw_result)
        return response.result

