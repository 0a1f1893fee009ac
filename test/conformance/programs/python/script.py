if __name__ == "__main__":
    print(sum(range(5)))
