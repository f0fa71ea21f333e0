"""The editors' studio: the real engine in a browser page, with the map, problems, facts and
translations beside it (``stay-safe preview``). Plain aiohttp and HTML, so it works offline."""
