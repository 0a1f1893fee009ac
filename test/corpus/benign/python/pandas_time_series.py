# corpus: benign
# Resampling a daily time series to weekly means and a rolling average.
import numpy as np
import pandas as pd


def main():
    index = pd.date_range("2024-01-01", periods=60, freq="D")
    values = np.sin(np.linspace(0, 6, 60)) * 10 + 50
    series = pd.Series(values, index=index, name="temperature")
    weekly = series.resample("W").mean().round(2)
    rolling = series.rolling(window=7).mean().dropna()
    print(weekly.head())
    return {"weeks": len(weekly), "last_rolling": round(float(rolling.iloc[-1]), 2)}
