// The phone (/phone/): a member's permanent number and, later, the directory.

import { render } from 'preact';
import '../../backend/web/ui/theme.css';
import './phone.css';
import { App } from './App';
import { registerWorker } from '../../backend/web/ui/push';

render(<App />, document.getElementById('app')!);
registerWorker('/phone/');
