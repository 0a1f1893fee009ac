def main():
    return {"s": {1, 2}}
