/** @jsxImportSource hono/jsx */
// The submit form. Field names are the API's own dotted paths (repo.url, …), so an error from
// the shared zod schema lands next to the input it names.
import { FIXER_NAMES } from '../../task.js';
import { Layout } from './layout.js';

export interface SubmitValues {
  'repo.url': string;
  'repo.ref': string;
  command: string;
  timeoutSeconds: string;
  fixers: string[];
}

export const EMPTY_SUBMIT: SubmitValues = {
  'repo.url': '',
  'repo.ref': 'main',
  command: '',
  timeoutSeconds: '',
  fixers: [],
};

function Field(props: {
  name: keyof SubmitValues;
  label: string;
  hint: string;
  values: SubmitValues;
  errors: Record<string, string>;
  type?: string;
  required?: boolean;
}) {
  const id = `f-${props.name.replace('.', '-')}`;
  const error = props.errors[props.name];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={String(props.values[props.name])}
        required={props.required}
        aria-invalid={error !== undefined ? 'true' : undefined}
        aria-describedby={`${id}-hint${error !== undefined ? ` ${id}-error` : ''}`}
      />
      <span class="hint" id={`${id}-hint`}>
        {props.hint}
      </span>
      {error !== undefined && (
        <span class="error" id={`${id}-error`} data-error-for={props.name}>
          {`${props.name}: ${error}`}
        </span>
      )}
    </div>
  );
}

export function SubmitPage(props: { values: SubmitValues; errors: Record<string, string> }) {
  const { values, errors } = props;
  const messages = Object.entries(errors);
  return (
    <Layout title="New task" nav="new" signedIn>
      <h1>New task</h1>
      {messages.length > 0 && (
        <div class="alert" role="alert" id="form-errors">
          <p>The task was not submitted:</p>
          <ul>
            {messages.map(([field, message]) => (
              <li>{field === '' ? message : `${field}: ${message}`}</li>
            ))}
          </ul>
        </div>
      )}
      <form method="post" action="/tasks/new" class="stack" novalidate>
        <Field
          name="repo.url"
          label="Repository URL"
          hint="https:// or file://, without credentials."
          values={values}
          errors={errors}
          required
        />
        <Field
          name="repo.ref"
          label="Ref"
          hint="A branch, tag or commit sha."
          values={values}
          errors={errors}
          required
        />
        <Field
          name="command"
          label="Command"
          hint="The CI command that fails, e.g. npx prettier --check ."
          values={values}
          errors={errors}
          required
        />
        <Field
          name="timeoutSeconds"
          label="Timeout (seconds, optional)"
          hint="10 to 21600; the server default when empty."
          values={values}
          errors={errors}
          type="number"
        />
        <fieldset aria-describedby="fixers-hint">
          <legend>Fixers (optional)</legend>
          <div class="checks">
            {FIXER_NAMES.map((name) => (
              <label>
                <input type="checkbox" name="fixers" value={name} checked={values.fixers.includes(name)} /> {name}
              </label>
            ))}
          </div>
          <span class="hint" id="fixers-hint">
            None ticked: every fixer that recognises the failure.
          </span>
          {errors.fixers !== undefined && (
            <span class="error" data-error-for="fixers">
              {`fixers: ${errors.fixers}`}
            </span>
          )}
        </fieldset>
        <div>
          <button type="submit">Submit task</button>
        </div>
      </form>
    </Layout>
  );
}
