/** `downhill export DIR --onnx FILE`: a saved model as an ONNX file. */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadModel } from '../load-model.js';
import { UsageError } from './data-source.js';

export async function exportModel(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { onnx: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('export: expected one saved-model folder (downhill export DIR --onnx FILE)');
  if (!values.onnx) throw new UsageError('export: --onnx FILE is required (the only format so far)');
  const model = await loadModel(positionals[0], { engine: 'js' });
  const bytes = model.toOnnx();
  await writeFile(values.onnx, bytes);
  process.stdout.write(`wrote ${values.onnx} (${bytes.length} bytes, input [N, ${model.inputSize}], output [N, ${model.outputSize}])\n`);
  return 0;
}
