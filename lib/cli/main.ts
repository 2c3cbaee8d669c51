/** The `downhill` command line: train (default), bench, help. */
import { parseArgs } from 'node:util';
import { engineChoices, type EngineChoice } from '../engine/select.js';
import { MAX_UNITS } from '../layers.js';
import { train } from './train.js';
import { UsageError } from './data-source.js';

const HELP = `usage: downhill [train] [options]
       downhill export DIR --onnx FILE
       downhill bench [--json] [--quick] [--runs N] [--peers] [--threads 1,2]

train options (defaults in brackets):
  --epochs N          epochs [10]
  --batch-size N      rows per step [64]
  --optimizer NAME    sgd | adam | adamw | adagrad | adadelta | rmsprop | adamax | nadam | radam | lion [adam]
  --lr X              learning rate [the optimizer's default: adam 1e-3, sgd 0.01, …]
  --momentum X        sgd, rmsprop [sgd: 0.9]     --nesterov        sgd
  --beta1 X, --beta2 X, --eps X                    adam family, lion (betas), adagrad/adadelta/rmsprop (eps)
  --weight-decay X    L2, or decoupled for adamw and lion
  --amsgrad           adam, adamw                  --centered        rmsprop
  --clip-norm X       clip the global gradient L2 norm to X    --clip-value X   clamp each gradient
  --schedule NAME     constant | step | multistep | exponential | polynomial | cosine |
                      cosine-restarts | warmup-cosine | onecycle | cyclic | plateau [constant]
  --early-stopping N  stop after N epochs without a better validation loss; keep the best weights
  --validation-split F  validate on a seeded fraction F of the train + validation rows
  --layers A,B,...    hidden ReLU layer widths [256,128,64]
  --seed N            seed of the split, initialisation and shuffles [42]
  --engine NAME       auto | native | js [auto]
  --data SOURCE       mnist (bundled digits) | an MNIST-format IDX folder | a .csv file [mnist]
  --label COLUMN      the label column of a CSV file
  --save DIR          save the trained model there (model.json + safetensors)
  --out DIR           write DIR/report.html (curves, test metrics, confusion matrix, PCA of features)
  --json              print one JSON document on stdout instead of the table
`;


function integer(name: string, text: string | undefined, fallback: number, min: number, max = 1e9): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name}: expected an integer in [${min}, ${max}], received ${JSON.stringify(text)}`);
  }
  return v;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'train';
  const rest = command === argv[0] ? argv.slice(1) : argv;
  try {
    if (command === 'help' || rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(HELP);
      return 0;
    }
    if (command === 'bench') {
      const { bench } = await import('./bench.js');
      return await bench(rest);
    }
    if (command === 'export') {
      const { exportModel } = await import('./export.js');
      return await exportModel(rest);
    }
    if (command !== 'train') throw new UsageError(`unknown command '${command}' (train, bench, export, help)`);
    const { values } = parseArgs({
      args: rest,
      options: {
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        layers: { type: 'string' },
        seed: { type: 'string' },
        engine: { type: 'string' },
        json: { type: 'boolean' },
        momentum: { type: 'string' },
        beta1: { type: 'string' },
        beta2: { type: 'string' },
        eps: { type: 'string' },
        'weight-decay': { type: 'string' },
        nesterov: { type: 'boolean' },
        amsgrad: { type: 'boolean' },
        centered: { type: 'boolean' },
        'clip-norm': { type: 'string' },
        'clip-value': { type: 'string' },
        schedule: { type: 'string' },
        'early-stopping': { type: 'string' },
        'validation-split': { type: 'string' },
        data: { type: 'string' },
        label: { type: 'string' },
        save: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    const optimizer = values.optimizer ?? 'adam';
    const num = (name: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name}: expected a number, received ${JSON.stringify(text)}`);
      return v;
    };
    const optimizerFlags = {
      momentum: num('momentum', values.momentum),
      beta1: num('beta1', values.beta1),
      beta2: num('beta2', values.beta2),
      eps: num('eps', values.eps),
      weightDecay: num('weight-decay', values['weight-decay']),
      nesterov: values.nesterov,
      amsgrad: values.amsgrad,
      centered: values.centered,
      clipNorm: num('clip-norm', values['clip-norm']),
      clipValue: num('clip-value', values['clip-value']),
    };
    const validationSplit = num('validation-split', values['validation-split']);
    if (validationSplit !== undefined && !(validationSplit > 0 && validationSplit < 1)) throw new UsageError(`--validation-split: expected a number in (0, 1), received ${JSON.stringify(values['validation-split'])}`);
    const engine = (values.engine ?? 'auto') as EngineChoice;
    if (!engineChoices.includes(engine)) throw new UsageError(`--engine: expected auto, native or js, received ${JSON.stringify(values.engine)}`);
    let lr: number | undefined;
    if (values.lr !== undefined) {
      lr = Number(values.lr);
      if (values.lr.trim() === '' || !Number.isFinite(lr) || lr <= 0) throw new UsageError(`--lr: expected a number > 0, received ${JSON.stringify(values.lr)}`);
    }
    const layers = (values.layers ?? '256,128,64').split(',').filter((s) => s.trim() !== '').map((s) => integer('layers', s, 0, 1, MAX_UNITS));
    await train(
      {
        epochs: integer('epochs', values.epochs, 10, 1, 100000),
        batchSize: integer('batch-size', values['batch-size'], 64, 1, 7000),
        lr,
        optimizer,
        optimizerFlags,
        schedule: values.schedule,
        earlyStopping: values['early-stopping'] === undefined ? undefined : integer('early-stopping', values['early-stopping'], 0, 0, 100000),
        validationSplit,
        layers,
        seed: integer('seed', values.seed, 42, 0, 2 ** 32 - 1),
        engine,
        json: values.json ?? false,
        data: values.data ?? 'mnist',
        label: values.label,
        save: values.save,
        out: values.out,
      },
      process.stdout,
      process.stderr,
    );
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`downhill: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    process.stderr.write(`downhill: ${(err as Error).message}\n`);
    return 1;
  }
}
