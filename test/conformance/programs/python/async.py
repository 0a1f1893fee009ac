import asyncio


async def main(n):
    await asyncio.sleep(0.01)
    return [n, None]
