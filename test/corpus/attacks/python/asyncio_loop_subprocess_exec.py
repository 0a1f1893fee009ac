# corpus: attack class=process form=targeted
# The event loop's subprocess_exec starts a program.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    transport, _ = await loop.subprocess_exec(asyncio.SubprocessProtocol, "id")
    await asyncio.sleep(0.5)
    transport.close()
    return {"done": True}
