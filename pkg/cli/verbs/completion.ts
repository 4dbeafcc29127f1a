// `jobctl completion`: prints yargs' shell completion script (bash; zsh when
// $SHELL is zsh, through bashcompinit). Install: `source <(jobctl completion)`
// or `jobctl completion >> ~/.bashrc`.
import type { Argv } from 'yargs';

/** Adds the `completion` command (and the hidden --get-yargs-completions hook). */
export function registerCompletion<T>(y: Argv<T>): Argv<T> {
  return y.completion('completion', 'Output a shell completion script for bash or zsh');
}
