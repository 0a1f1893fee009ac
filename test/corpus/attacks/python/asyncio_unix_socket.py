# corpus: attack class=socket form=targeted
# asyncio serves and connects a Unix socket.
import asyncio


async def main():
    async def serve(reader, writer):
        writer.write(b"raw socket open")
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(serve, path="sock")
    reader, writer = await asyncio.open_unix_connection("sock")
    data = await reader.read(64)
    writer.close()
    server.close()
    return {"received": data.decode()}
