import { app } from '@azure/functions';

// The Functions host loads every compiled file under dist/functions (package.json `main`).
// Each file binds one trigger to one pipeline step; this one only sets app-wide options.
app.setup({ enableHttpStream: false });
