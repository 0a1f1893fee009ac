// corpus: benign
// A small router: regex routes, a Map of handlers and dispatch by name.
class Router {
  #routes = [];

  add(method, pattern, handler) {
    const keys = [];
    const regex = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, key) => {
      keys.push(key);
      return '([^/]+)';
    }) + '$');
    this.#routes.push({ method, regex, keys, handler });
    return this;
  }

  dispatch(method, path) {
    for (const route of this.#routes) {
      const match = route.method === method && route.regex.exec(path);
      if (match) return route.handler(Object.fromEntries(route.keys.map((k, i) => [k, match[i + 1]])));
    }
    return { status: 404 };
  }
}

const handlers = new Map([
  ['getUser', ({ id }) => ({ status: 200, user: id })],
  ['listOrders', ({ id }) => ({ status: 200, orders: [`${id}-1`, `${id}-2`] })],
]);

function main() {
  const router = new Router()
    .add('GET', '/users/:id', handlers.get('getUser'))
    .add('GET', '/users/:id/orders', handlers.get('listOrders'));
  return [router.dispatch('GET', '/users/42'), router.dispatch('GET', '/users/7/orders'), router.dispatch('POST', '/x')];
}

module.exports = { main };
