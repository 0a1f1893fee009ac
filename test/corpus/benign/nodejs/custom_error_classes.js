// corpus: benign
// Custom error classes naming themselves with this.constructor.name.
class AppError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = this.constructor.name;
    if (Error.captureStackTrace) Error.captureStackTrace(this, this.constructor);
  }
}

class ValidationError extends AppError {
  constructor(field, value) {
    super(`invalid ${field}: ${JSON.stringify(value)}`);
    this.field = field;
  }
}

function validate(user) {
  if (typeof user.age !== 'number' || user.age < 0) throw new ValidationError('age', user.age);
  return true;
}

function main() {
  const results = [];
  for (const user of [{ age: 30 }, { age: -1 }, { age: 'x' }]) {
    try {
      results.push(validate(user));
    } catch (error) {
      results.push({ name: error.name, field: error.field, isApp: error instanceof AppError });
    }
  }
  return results;
}

module.exports = { main };
