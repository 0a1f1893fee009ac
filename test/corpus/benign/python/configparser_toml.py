# corpus: benign
# Reading INI and TOML configuration written to the work dir.
import configparser
import tomllib


def main():
    with open("settings.ini", "w") as handle:
        handle.write("[server]\nhost = localhost\nport = 8080\n")
    parser = configparser.ConfigParser()
    parser.read("settings.ini")
    with open("settings.toml", "w") as handle:
        handle.write('title = "demo"\n[owner]\nname = "Ana"\n')
    with open("settings.toml", "rb") as handle:
        toml = tomllib.load(handle)
    return {"port": parser.getint("server", "port"), "title": toml["title"], "owner": toml["owner"]["name"]}
