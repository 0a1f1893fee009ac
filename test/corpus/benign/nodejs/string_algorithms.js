// corpus: benign
// String algorithms: anagrams, palindromes, slugify, word wrap.
const slugify = (s) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if ((line + ' ' + word).trim().length > width) {
      lines.push(line.trim());
      line = word;
    } else {
      line += ' ' + word;
    }
  }
  return [...lines, line.trim()];
}

function main() {
  const words = ['listen', 'silent', 'enlist', 'stone', 'notes'];
  const groups = {};
  for (const w of words) (groups[[...w].sort().join('')] ??= []).push(w);
  const isPalindrome = (s) => s === [...s].reverse().join('');
  return {
    slug: slugify('Crème Brûlée: a Recipe!'),
    groups: Object.values(groups),
    palindromes: ['level', 'hello', 'noon'].filter(isPalindrome),
    wrapped: wrap('the quick brown fox jumps over the lazy dog', 12),
  };
}

module.exports = { main };
