// corpus: benign
// An async API client with axios, tolerating the sandbox having no network.
const axios = require('axios');

const client = axios.create({ baseURL: 'https://api.example.com', timeout: 1000 });

async function fetchItems(page) {
  try {
    const response = await client.get('/items', { params: { page } });
    return response.data;
  } catch (error) {
    return { error: error.code ?? error.message };
  }
}

async function main(args) {
  const pages = await Promise.all([1, 2].map((page) => fetchItems(page)));
  return { pages: pages.length, url: client.getUri({ url: '/items', params: { page: 1 } }), args };
}

module.exports = { main };
