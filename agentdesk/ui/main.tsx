// The agent desk (/desk/): store staff sign in here and, later, take calls.

import { render } from 'preact';
import '../../backend/web/ui/theme.css';
import './desk.css';
import { App } from './App';
import { registerWorker } from '../../backend/web/ui/push';

render(<App />, document.getElementById('app')!);
registerWorker('/desk/');
