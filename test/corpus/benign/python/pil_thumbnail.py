# corpus: benign
# Create an image with Pillow, draw on it and save a thumbnail.
from PIL import Image, ImageDraw, ImageFilter


def main():
    image = Image.new("RGB", (200, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 180, 100], outline="navy", width=3)
    draw.text((40, 50), "coderun", fill="black")
    blurred = image.filter(ImageFilter.GaussianBlur(1))
    blurred.thumbnail((100, 60))
    blurred.save("thumb.png")
    with Image.open("thumb.png") as loaded:
        return {"size": list(loaded.size), "mode": loaded.mode}
