// corpus: benign
// An ES module posting JSON with axios and interceptors.
import axios from 'axios';

const api = axios.create({ timeout: 500, headers: { 'Content-Type': 'application/json' } });
api.interceptors.request.use((config) => {
  config.headers['X-Request-Id'] = 'req-1';
  return config;
});

export async function main() {
  try {
    const { data } = await api.post('https://httpbin.example/post', { hello: 'world' });
    return { data };
  } catch (error) {
    return { failed: true, reason: error.code ?? 'unknown' };
  }
}
