# corpus: benign
# Summary statistics with the statistics module.
import statistics


def main(values=(12.5, 15.0, 11.2, 19.8, 14.4, 15.0, 13.3)):
    data = list(values)
    return {
        "mean": round(statistics.mean(data), 3),
        "median": statistics.median(data),
        "mode": statistics.mode(data),
        "stdev": round(statistics.stdev(data), 3),
        "quartiles": [round(q, 2) for q in statistics.quantiles(data, n=4)],
    }
