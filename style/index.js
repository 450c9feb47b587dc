import './base.css';
import './runs.css';
import './models.css';
import './views.css';
import './jobs.css';
import './features.css';
import './deployments.css';
