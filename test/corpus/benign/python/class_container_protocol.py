# corpus: benign
# A container with __len__, __getitem__, __contains__ and __iter__.
class Playlist:
    def __init__(self, name, songs=None):
        self.name = name
        self._songs = list(songs or [])

    def __len__(self):
        return len(self._songs)

    def __getitem__(self, index):
        return self._songs[index]

    def __contains__(self, song):
        return song in self._songs

    def __iter__(self):
        return iter(self._songs)

    def __repr__(self):
        return f"Playlist({self.name!r}, {len(self)} songs)"

    def add(self, song):
        self._songs.append(song)
        return self


def main():
    playlist = Playlist("road trip", ["a", "b"]).add("c")
    return {"repr": repr(playlist), "first": playlist[0], "has_b": "b" in playlist, "all": list(playlist), "slice": playlist[1:]}
