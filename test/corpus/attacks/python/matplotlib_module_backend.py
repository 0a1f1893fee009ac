# corpus: attack class=eval form=targeted
# matplotlib imports a 'module://' backend by name, here one the program wrote.
import matplotlib


def main():
    with open("plot_backend.py", "w") as handle:
        handle.write("import os\nos.system('id')\nFigureCanvas = None\n")
    import matplotlib.pyplot as plt

    try:
        plt.switch_backend("module://plot_backend")
    except Exception as error:
        return {"imported": type(error).__name__}
    return {"imported": True}
