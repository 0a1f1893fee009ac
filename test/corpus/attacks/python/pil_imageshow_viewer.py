# corpus: attack class=process form=targeted
# A PIL.ImageShow viewer whose command is id.
from PIL import ImageShow


class Viewer(ImageShow.Viewer):
    def get_command(self, file, **options):
        return "id"


def main():
    open("image.png", "wb").close()
    Viewer().show_file("image.png")
    return {"done": True}
