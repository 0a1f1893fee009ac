# corpus: attack class=process form=textbook
# asyncio starts a program.
import asyncio


async def main():
    proc = await asyncio.create_subprocess_exec("id", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return {"out": out.decode()}
