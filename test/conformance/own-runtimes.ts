// coderun's own runtimes, as the chart registers them (charts/coderun/values.yaml, runtimes): the runtime's name
// (the job's language, CODERUN_RUNTIME), its program file (CODERUN_PROGRAM_FILE) and the sandbox image that
// serves it. typescript is the Node.js image with another program file: Node strips the types of a .ts file.
export interface OwnRuntime {
  programFile: string;
  /** The image's tarball in the images cache, as `make images` builds it. */
  image: 'sandbox-python.tar' | 'sandbox-nodejs.tar';
}

export const OWN_RUNTIMES: Readonly<Record<string, OwnRuntime>> = {
  python: { programFile: 'main.py', image: 'sandbox-python.tar' },
  nodejs: { programFile: 'main.js', image: 'sandbox-nodejs.tar' },
  typescript: { programFile: 'main.ts', image: 'sandbox-nodejs.tar' },
};
