# corpus: benign
# An Enum-driven state machine.
from enum import Enum, auto


class State(Enum):
    IDLE = auto()
    RUNNING = auto()
    DONE = auto()

    @classmethod
    def _missing_(cls, value):
        return cls.IDLE


TRANSITIONS = {State.IDLE: State.RUNNING, State.RUNNING: State.DONE, State.DONE: State.DONE}


def main():
    state = State.IDLE
    visited = [state.name]
    while state is not State.DONE:
        state = TRANSITIONS[state]
        visited.append(state.name)
    return {"visited": visited, "values": [s.value for s in State], "fallback": State(99).name}
