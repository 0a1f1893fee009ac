# corpus: benign
# A class with private state, properties and a custom exception.
class InsufficientFunds(Exception):
    def __init__(self, balance, amount):
        super().__init__(f"cannot withdraw {amount}, balance is {balance}")
        self.balance = balance
        self.amount = amount


class Account:
    _next_id = 1

    def __init__(self, owner, balance=0.0):
        self.owner = owner
        self.__balance = balance
        self._history = []
        self.id = Account._next_id
        Account._next_id += 1

    @property
    def balance(self):
        return self.__balance

    def deposit(self, amount):
        self.__balance += amount
        self._history.append(("deposit", amount))

    def withdraw(self, amount):
        if amount > self.__balance:
            raise InsufficientFunds(self.__balance, amount)
        self.__balance -= amount
        self._history.append(("withdraw", amount))

    def __str__(self):
        return f"Account #{self.id} of {self.owner}: {self.__balance:.2f}"


def main():
    account = Account("Dana", 100)
    account.deposit(50)
    try:
        account.withdraw(500)
    except InsufficientFunds as error:
        message = f"{type(error).__name__}: {error}"
    account.withdraw(30)
    return {"summary": str(account), "history": account._history, "error": message}
