# corpus: benign
# A plugin registry with __init_subclass__, a metaclass and __subclasses__ of its own base.
class Registry(type):
    plugins = {}

    def __new__(mcs, name, bases, namespace):
        cls = super().__new__(mcs, name, bases, namespace)
        if bases:
            mcs.plugins[name.lower()] = cls
        return cls


class Exporter(metaclass=Registry):
    extension = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.label = cls.__name__.upper()

    def export(self, rows):
        raise NotImplementedError


class CsvExporter(Exporter):
    extension = "csv"

    def export(self, rows):
        return "\n".join(",".join(map(str, r)) for r in rows)


class TsvExporter(Exporter):
    extension = "tsv"

    def export(self, rows):
        return "\n".join("\t".join(map(str, r)) for r in rows)


_MISSING = object()


def main(kind="csv"):
    exporter = Registry.plugins.get(kind + "exporter", _MISSING)
    if exporter is _MISSING:
        return {"error": "unknown"}
    return {
        "text": exporter().export([[1, 2], [3, 4]]),
        "label": exporter.label,
        "known": sorted(c.__name__ for c in Exporter.__subclasses__()),
    }
